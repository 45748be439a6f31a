"""The Network Lab's view: settings, the decision boundary, the network diagram, the losses."""
