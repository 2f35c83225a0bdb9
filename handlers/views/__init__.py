"""Block Kit builders: pure functions, data in, blocks out. Every sentence goes through `_()`."""
