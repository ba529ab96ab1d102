"""Brains: genomes and the compiled networks that evaluate them."""
