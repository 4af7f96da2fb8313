"""Churn prediction: models trained on the operator's own history, beside the rules
(server/warnings). docs/churn.md explains the features, models and evaluation."""
