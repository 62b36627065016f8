"""Pulse: the command line and the settings every component shares."""
