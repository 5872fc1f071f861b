"""The headless ``lpic3`` subcommands: each module has ``run(args) -> exit status``. No Textual here."""
