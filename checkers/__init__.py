"""Reading the real state of a lab target: probes, target features, and (later) shell sessions.

Imports only the standard library, pexpect and pyyaml: never ``trainer`` and never Textual.
"""
