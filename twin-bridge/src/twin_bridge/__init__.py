"""maestro's network digital twin: executes 6G-LLM orchestrations with Sionna and reports their QoS."""
