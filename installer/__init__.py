"""Host-side operations and the command line of fips-setup."""
