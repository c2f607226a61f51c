"""The voice menu: a tree of data (menu), its words (prompts) and one engine that renders TwiML."""
