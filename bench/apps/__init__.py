"""Baseline ASGI apps without authorization: the Python ceilings the gateway is held to."""
