"""What a run is told: the gate's options, the target profile, the cutover file, and the settings resolved from
them."""
