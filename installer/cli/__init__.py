"""The command line: the only place that prints, renders JSON or picks exit codes."""
