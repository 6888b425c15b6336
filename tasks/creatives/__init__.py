"""Image and video creatives: format presets and the generation step."""
