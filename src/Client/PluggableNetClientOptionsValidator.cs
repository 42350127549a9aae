using Microsoft.Extensions.Options;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// The rules for <see cref="PluggableNetClientOptions"/>, in one place for the constructor (which throws
/// <see cref="ArgumentException"/>) and the container (<c>IOptions</c> validation, at start with <c>ValidateOnStart</c>).
/// Every message starts with the option's name.
/// </summary>
internal sealed class PluggableNetClientOptionsValidator : IValidateOptions<PluggableNetClientOptions>
{
    public ValidateOptionsResult Validate(string? name, PluggableNetClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FindError(options) is var (_, message) ? ValidateOptionsResult.Fail(message) : ValidateOptionsResult.Success;
    }

    /// <summary>The first invalid option and why, or null when all are valid.</summary>
    public static (string Option, string Message)? FindError(PluggableNetClientOptions o)
    {
        if (o.Endpoints.Count is 0 or > EndpointSelector.MaxEndpoints)
        {
            return (nameof(o.Endpoints), $"{nameof(o.Endpoints)}: give 1 to {EndpointSelector.MaxEndpoints} endpoints (got {o.Endpoints.Count}).");
        }

        if (o.Endpoints.Any(e => e is null))
        {
            return (nameof(o.Endpoints), $"{nameof(o.Endpoints)}: an endpoint is null.");
        }

        if (!Enum.IsDefined(o.Protocol))
        {
            return (nameof(o.Protocol), $"{nameof(o.Protocol)}: '{o.Protocol}' is not a protocol; use V1 or V2.");
        }

        if (!Enum.IsDefined(o.Framing))
        {
            return (nameof(o.Framing), $"{nameof(o.Framing)}: '{o.Framing}' is not a framing kind.");
        }

        if (o.Framing == FramingKind.AsciiDecimal && o.HeaderDigits is < 1 or > 10)
        {
            return (nameof(o.HeaderDigits), $"{nameof(o.HeaderDigits)}: '{o.HeaderDigits}' is not from 1 to 10.");
        }

        var invalid = Positive(o.MaxAnswerBytes, nameof(o.MaxAnswerBytes)) ?? Positive(o.ConnectionsPerEndpoint, nameof(o.ConnectionsPerEndpoint));
        if (invalid is not null)
        {
            return invalid;
        }

        if (o.MaxResendsOnGracefulClose < 0)
        {
            return (nameof(o.MaxResendsOnGracefulClose), $"{nameof(o.MaxResendsOnGracefulClose)}: '{o.MaxResendsOnGracefulClose}' is negative.");
        }

        if (!Enum.IsDefined(o.Selection))
        {
            return (nameof(o.Selection), $"{nameof(o.Selection)}: '{o.Selection}' is not a selection.");
        }

        invalid = Duration(o.ConnectTimeout, nameof(o.ConnectTimeout), allowInfinite: false)
            ?? Duration(o.RequestTimeout, nameof(o.RequestTimeout), allowInfinite: true)
            ?? Duration(o.EndpointDownTime, nameof(o.EndpointDownTime), allowInfinite: false)
            ?? Duration(o.MaxEndpointDownTime, nameof(o.MaxEndpointDownTime), allowInfinite: false)
            ?? Duration(o.PingInterval, nameof(o.PingInterval), allowInfinite: true)
            ?? Duration(o.PingTimeout, nameof(o.PingTimeout), allowInfinite: false);
        if (invalid is not null)
        {
            return invalid;
        }

        return o.MaxEndpointDownTime < o.EndpointDownTime
            ? (nameof(o.MaxEndpointDownTime), $"{nameof(o.MaxEndpointDownTime)}: '{o.MaxEndpointDownTime}' is below {nameof(o.EndpointDownTime)} '{o.EndpointDownTime}'.")
            : null;
    }

    private static (string, string)? Positive(int value, string name) =>
        value < 1 ? (name, $"{name}: '{value}' is not a positive number.") : null;

    private static bool IsDuration(TimeSpan value) => value > TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue;

    private static (string, string)? Duration(TimeSpan value, string name, bool allowInfinite) =>
        (allowInfinite && value == Timeout.InfiniteTimeSpan) || IsDuration(value)
            ? null
            : (name, $"{name}: '{value}' is not a positive duration{(allowInfinite ? " or Timeout.InfiniteTimeSpan" : string.Empty)}.");
}
