"""Running an exercise on a target: parameters, checks and the self-test of the lab contract."""
