"""Model backends (text, image, video) behind one interface per kind; heavy imports stay inside functions."""
