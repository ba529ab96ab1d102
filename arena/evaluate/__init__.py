"""Evaluation backends: where and how a generation's rollouts run."""
