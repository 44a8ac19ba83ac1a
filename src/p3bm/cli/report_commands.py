"""Commands that present the data: the HTML report, the dashboard and `up`."""

COMMANDS: list = []
