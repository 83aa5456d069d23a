"""Pure document editing for fips-setup: text in, text out, no host access."""
