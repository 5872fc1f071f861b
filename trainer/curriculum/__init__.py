"""The content model: objectives, lessons, questions and exercises, their loader and linter."""
