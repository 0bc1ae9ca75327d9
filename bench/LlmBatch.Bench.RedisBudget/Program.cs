using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LlmBatch.Bench.RedisBudget;
using StackExchange.Redis;

// Figures for the shared rate budget (issue 11): see the project file for the command.
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var attempts = Arg("--attempts", 20_000);
var items = Arg("--items", 1_500);
var rpm = Arg("--rpm", 12_000);
var endpoint = ArgText("--redis");

Process? server = null;
if (endpoint is null)
{
    (server, endpoint) = StartRedis();
}

try
{
    var config = ConfigurationOptions.Parse(endpoint);
    config.AbortOnConnectFail = false;
    await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
    var prefix = "bench:" + Guid.NewGuid().ToString("N")[..8] + ":";
    if (mode is "cpu" or "all")
    {
        await Cpu.RunAsync(redis, prefix, attempts, server);
    }

    if (mode is "share" or "all")
    {
        await Share.RunAsync(redis, prefix, items, rpm);
    }
}
finally
{
    server?.Kill();
}

int Arg(string name, int fallback) => ArgText(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static (Process Server, string Endpoint) StartRedis()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
    {
        start.ArgumentList.Add(a);
    }

    Process process;
    try
    {
        process = Process.Start(start)!;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        Console.Error.WriteLine("This benchmark needs redis-server on PATH (apt-get install -y redis-server), or --redis host:port.");
        throw;
    }

    for (var i = 0; i < 200; i++)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            break;
        }
        catch (SocketException)
        {
            Thread.Sleep(20);
        }
    }

    return (process, $"127.0.0.1:{port}");
}
