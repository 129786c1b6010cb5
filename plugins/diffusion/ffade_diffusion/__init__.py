"""ffade-diffusion: where text-to-image models fail, judged by CLIP, a classifier or a person.

Registered only through entry points (see setup.cfg); ffade's core never imports it.
"""
