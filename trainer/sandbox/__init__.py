"""The sandbox VM: lpic3's own disposable lab machine (build, boot, reset, shut down).

Imports checkers (for the shell session and targets), never Textual.
"""
