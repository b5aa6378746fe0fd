"""Answer builders: channel-neutral Reply objects for each family of intents."""
