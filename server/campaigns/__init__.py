"""Campaigns and offers (营销活动, 专属优惠): who is targeted, and what each customer did."""
