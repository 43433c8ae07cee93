"""Building boot images on Linux: wimlib-imagex and hivex behind ``console.core.servicing``."""
