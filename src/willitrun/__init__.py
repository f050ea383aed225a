"""willitrun: will this AI model run on this machine, how well, and what to buy."""

__version__ = "0.1.0"
