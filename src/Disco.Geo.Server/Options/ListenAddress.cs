using System.Globalization;
using System.Net;

namespace Disco.Geo.Server.Options;

/// <summary>A "host:port" endpoint from configuration: an IP address, "localhost", or "*" / "0.0.0.0" for every interface.</summary>
internal sealed record ListenAddress(IPAddress Address, int Port, string Text)
{
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    public static ListenAddress Parse(string text)
    {
        string value = text.Trim();
        if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(value);
            value = uri.Authority;
        }

        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ServerConfigurationException($"Listen address '{text}' is not host:port (e.g. 127.0.0.1:50051, [::1]:50051, 0.0.0.0:50051; port 0 picks a free port).");
        }

        string host = value[..colon].Trim('[', ']');
        IPAddress address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" => IPAddress.Any,
            _ when IPAddress.TryParse(host, out IPAddress? parsed) => parsed,
            _ => throw new ServerConfigurationException($"Listen address '{text}': '{host}' is not an IP address. Use an address such as 127.0.0.1 or 0.0.0.0, or localhost."),
        };
        return new ListenAddress(address, port, text);
    }
}
