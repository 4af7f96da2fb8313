"""The back office's views of a team: one manager at a glance, the customers at risk."""
