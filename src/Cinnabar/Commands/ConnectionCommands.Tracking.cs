namespace Cinnabar.Commands;

/// <summary>CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching (<see cref="Tracking.TrackingManager"/>).</summary>
public static partial class ConnectionCommands
{
    private static IEnumerable<CommandBinding> TrackingCommands()
    {
        yield return new("client|tracking", ClientTracking);
        yield return new("client|caching", ClientCaching);
        yield return new("client|getredir", c => c.Reply.Integer(c.Tracking is { On: true } t ? t.Redirect : -1));
        yield return new("client|trackinginfo", ClientTrackingInfo);
    }

    /// <summary>CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checked in Redis' order.</summary>
    private static void ClientTracking(Client c)
    {
        long redirect = 0;
        bool bcast = false, optIn = false, optOut = false, noLoop = false;
        List<byte[]>? prefixes = null;
        for (int j = 3; j < c.ArgCount; j++)
        {
            bool moreArgs = c.ArgCount - 1 - j > 0;
            if (c.ArgIs(j, "redirect"u8) && moreArgs)
            {
                j++;
                if (redirect != 0)
                {
                    c.Reply.Error("ERR A client can only redirect to a single other client");
                    return;
                }
                if (!c.TryGetLong(j, out redirect)) return;
                // The client must exist now, even though it may go away later.
                if (c.Server.Clients.Find(redirect) is null)
                {
                    c.Reply.Error("ERR The client ID you want redirect to does not exist");
                    return;
                }
            }
            else if (c.ArgIs(j, "bcast"u8)) bcast = true;
            else if (c.ArgIs(j, "optin"u8)) optIn = true;
            else if (c.ArgIs(j, "optout"u8)) optOut = true;
            else if (c.ArgIs(j, "noloop"u8)) noLoop = true;
            else if (c.ArgIs(j, "prefix"u8) && moreArgs)
            {
                j++;
                (prefixes ??= new List<byte[]>()).Add(c.ArgArray(j));
            }
            else
            {
                c.SyntaxError();
                return;
            }
        }
        var tracking = c.Server.Tracking;
        if (c.ArgIs(2, "on"u8))
        {
            var t = c.Tracking;
            if (!bcast && prefixes is not null)
            {
                c.Reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
                return;
            }
            if (t is { On: true } && t.Bcast != bcast)
            {
                c.Reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
                return;
            }
            if (bcast && (optIn || optOut))
            {
                c.Reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
                return;
            }
            if (optIn && optOut)
            {
                c.Reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
                return;
            }
            if ((optIn && t is { OptOut: true }) || (optOut && t is { OptIn: true }))
            {
                c.Reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
                return;
            }
            if (bcast && prefixes is not null && Tracking.TrackingManager.CheckPrefixCollisions(c, prefixes) == 0) return;
            tracking.Enable(c, redirect, bcast, optIn, optOut, noLoop, prefixes);
        }
        else if (c.ArgIs(2, "off"u8)) tracking.Disable(c);
        else
        {
            c.SyntaxError();
            return;
        }
        c.Reply.Ok();
    }

    /// <summary>CLIENT CACHING YES|NO: whether the next command's keys are tracked, in OPTIN or OPTOUT mode.</summary>
    private static void ClientCaching(Client c)
    {
        if (c.Tracking is not { On: true } t)
        {
            c.Reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
            return;
        }
        if (c.ArgIs(2, "yes"u8))
        {
            if (!t.OptIn)
            {
                c.Reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
                return;
            }
        }
        else if (c.ArgIs(2, "no"u8))
        {
            if (!t.OptOut)
            {
                c.Reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
                return;
            }
        }
        else
        {
            c.SyntaxError();
            return;
        }
        t.Caching = true;
        c.Reply.Ok();
    }

    private static void ClientTrackingInfo(Client c)
    {
        var t = c.Tracking;
        bool on = t is { On: true };
        var flags = new List<string> { on ? "on" : "off" };
        if (t is not null)
        {
            if (t.Bcast) flags.Add("bcast");
            if (t.OptIn)
            {
                flags.Add("optin");
                if (t.Caching) flags.Add("caching-yes");
            }
            if (t.OptOut)
            {
                flags.Add("optout");
                if (t.Caching) flags.Add("caching-no");
            }
            if (t.NoLoop) flags.Add("noloop");
            if (t.BrokenRedirect) flags.Add("broken_redirect");
        }
        var r = c.Reply;
        r.MapHeader(3);
        r.Bulk("flags"u8);
        r.SetHeader(flags.Count);
        foreach (var f in flags) r.Bulk(f);
        r.Bulk("redirect"u8);
        r.Integer(on ? t!.Redirect : -1);
        r.Bulk("prefixes"u8);
        var prefixes = t?.Prefixes;
        r.ArrayHeader(prefixes?.Count ?? 0);
        if (prefixes is not null)
            foreach (var p in prefixes) r.Bulk(p);
    }
}
