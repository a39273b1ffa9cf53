"""Small pure kernels shared by every mechanism.

Kernels take validated float32 arrays and check nothing; public entry points validate
(see :mod:`ruvector_attention._validation`).
"""
