namespace ZeroBridge.Demo;

/// <summary>Where an order is in its life.</summary>
public enum OrderStatus
{
    /// <summary>Placed, not yet paid.</summary>
    Pending,
    /// <summary>Paid, waiting to ship.</summary>
    Paid,
    /// <summary>On its way.</summary>
    Shipped,
    /// <summary>Received by the customer.</summary>
    Delivered,
    /// <summary>Called off.</summary>
    Cancelled,
}

/// <summary>A customer of the sample business.</summary>
public sealed record Customer(int Id, string Name, string Email, string City, string Country, DateTime Since, decimal CreditLimit);

/// <summary>An order, as listed.</summary>
public sealed record Order(int Id, int CustomerId, string CustomerName, DateTime OrderedAt, OrderStatus Status, decimal Total, int LineCount);

/// <summary>One line of an order.</summary>
public sealed record OrderLine(int ProductId, string Product, int Quantity, decimal UnitPrice);

/// <summary>An order with its lines.</summary>
public sealed record OrderDetails(int Id, Customer Customer, DateTime OrderedAt, OrderStatus Status, decimal Total, IReadOnlyList<OrderLine> Lines);
