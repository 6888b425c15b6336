"""Prefect flows that order the tasks, the `aigc` CLI and deployment entry points."""
