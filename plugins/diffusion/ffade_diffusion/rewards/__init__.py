"""Rewards for generated images: CLIP score, a classifier judge and a person's rating."""
