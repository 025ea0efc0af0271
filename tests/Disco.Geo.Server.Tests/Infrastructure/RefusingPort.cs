using System.Net;
using System.Net.Sockets;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A loopback port that is bound but never listened on: connections to it are refused, and no other process can take
/// it while this is held (a port probed as free and released could be taken before the client connects).
/// </summary>
internal sealed class RefusingPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>"http://127.0.0.1:PORT".</summary>
    public string Address => $"http://127.0.0.1:{Port}";

    public void Dispose() => _socket.Dispose();
}
