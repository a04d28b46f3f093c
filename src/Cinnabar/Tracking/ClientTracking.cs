namespace Cinnabar.Tracking;

/// <summary>
/// A client's CLIENT TRACKING state (Redis' CLIENT_TRACKING* flags, client_tracking_redirection and
/// client_tracking_prefixes), held by <see cref="Client.Tracking"/> from the first CLIENT TRACKING ON.
/// Turning tracking off clears the flags but, as in Redis, keeps <see cref="Redirect"/>: invalidations still
/// pending for the command that turned it off go where they would have gone.
/// </summary>
public sealed class ClientTracking
{
    /// <summary>CLIENT_TRACKING: tracking is on.</summary>
    public bool On;
    /// <summary>CLIENT_TRACKING_BCAST: broadcasting mode (prefixes instead of keys read).</summary>
    public bool Bcast;
    public bool OptIn;
    public bool OptOut;
    /// <summary>CLIENT_TRACKING_NOLOOP: no invalidation for keys this client modified itself.</summary>
    public bool NoLoop;
    /// <summary>CLIENT_TRACKING_CACHING: CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command or transaction.</summary>
    public bool Caching;
    /// <summary>CLIENT_TRACKING_BROKEN_REDIR: the client we redirect to is gone.</summary>
    public bool BrokenRedirect;
    /// <summary>The client id invalidations are redirected to; 0 for none.</summary>
    public long Redirect;
    /// <summary>The BCAST prefixes, in Redis' radix tree order (bytes, shorter first); null when none.</summary>
    public SortedSet<byte[]>? Prefixes;

    /// <summary>Redis' trackingRememberKeys test: OPTIN without CACHING YES, or OPTOUT with CACHING NO, does not track.</summary>
    public bool RemembersKeys => !((OptIn && !Caching) || (OptOut && Caching));
}
