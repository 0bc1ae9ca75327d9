// Stands in for System.ClientModel.ClientResultException (thrown by the OpenAI and Azure SDKs), which the adapters
// recognise by name so the core library needs no SDK reference.
namespace System.ClientModel;

public sealed class ClientResultException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}
