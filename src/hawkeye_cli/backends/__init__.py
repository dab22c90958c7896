"""Inference engines behind one small interface (base.Backend); llama.cpp is the one shipped today."""
