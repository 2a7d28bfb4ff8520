"""``python -m agent.cli.commands``: the same as ``dispute-agent``."""

from agent.cli.commands import main

main()
