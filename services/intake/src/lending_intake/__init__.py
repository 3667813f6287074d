"""The intake service. Partner channels send applications here and follow them to cash."""
