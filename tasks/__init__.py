"""Domain steps of the content factory as plain typed functions (wrapped by thin Prefect tasks)."""
