"""The sandbox: a stand-in for Slack (its Web API and a web page) to try Deal Coach without a
workspace. It talks to the bot only as Slack does, over signed HTTP and the Web API, and imports
nothing of the bot's, so Slack itself could take its place without the bot noticing."""
