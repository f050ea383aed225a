"""Advice over catalog x estimate: what this machine runs best, what to buy, how hardware compares, what it costs."""
