"""Host-side operations and the command line of fips-setup."""

__version__ = "0.1.0"
