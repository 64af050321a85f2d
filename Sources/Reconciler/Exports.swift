@_exported import BotRuntime
