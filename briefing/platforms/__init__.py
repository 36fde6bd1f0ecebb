"""Chat platforms: the console, Slack (bolt) and Discord adapters."""
