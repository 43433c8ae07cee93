"""Windows ADK layout: winpe.wim per architecture and the optional-component cabs."""
