"""What several commands share and no one command is: the model options (declared once), command groups that run a
default subcommand, and the run that bench and calibrate share."""
