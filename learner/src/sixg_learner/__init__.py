"""maestro's RLDTF training side: the 6G-LLM trained from the network digital twin's feedback."""
