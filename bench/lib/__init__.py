"""What every scenario shares: settings, stamps, load shapes, processes, RabbitMQ, results."""
