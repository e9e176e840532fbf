// Plays the session URL of the page's query with hls.js or dash.js and
// keeps what play.mjs checks in window.playback: every player or media
// element error, and how far currentTime has advanced since playback
// started (a live session starts near its live edge, not at 0).
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const kind = params.get('kind');
  const src = params.get('src');
  const video = document.getElementById('video');
  const state = {
    kind,
    errors: [],
    start: null,
    advanced: 0,
    currentTime: 0,
    codecs: {
      h264: window.MediaSource ? MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001e"') : false,
      aac: window.MediaSource ? MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"') : false,
      opus: window.MediaSource ? MediaSource.isTypeSupported('audio/mp4; codecs="opus"') : false,
    },
  };
  window.playback = state;
  const log = (msg) => {
    document.getElementById('log').textContent += msg + '\n';
    console.log(msg);
  };
  const fail = (what) => {
    state.errors.push(what);
    log('error: ' + JSON.stringify(what));
  };

  video.addEventListener('error', () => {
    const e = video.error;
    fail({ source: 'video', code: e && e.code, message: e && e.message });
  });
  video.addEventListener('timeupdate', () => {
    state.currentTime = video.currentTime;
    if (state.start === null && !video.paused && video.currentTime > 0) {
      state.start = video.currentTime;
    }
    if (state.start !== null) {
      state.advanced = video.currentTime - state.start;
    }
  });

  if (!src) {
    fail({ source: 'page', message: 'no src parameter' });
    return;
  }
  if (kind === 'hls' || kind === 'llhls') {
    if (!window.Hls || !Hls.isSupported()) {
      fail({ source: 'hls.js', message: 'hls.js is not supported here (no MediaSource?)' });
      return;
    }
    // llhls: hls.js's low-latency mode, for sessions opened with
    // LowLatency=1. The live latency is measured on the wall clock: now
    // minus the EXT-X-PROGRAM-DATE-TIME position being shown, once a
    // second after playback has advanced 1 s, for any session whose
    // playlists carry dates; hls.js's own estimate is kept too.
    const hls = new Hls(kind === 'llhls' ? { lowLatencyMode: true } : {});
    {
      state.latencies = [];
      state.hlsLatencies = [];
      setInterval(() => {
        if (state.advanced >= 1 && hls.playingDate) {
          state.latencies.push((Date.now() - hls.playingDate.getTime()) / 1000);
          state.hlsLatencies.push(hls.latency);
        }
      }, 1000);
    }
    hls.on(Hls.Events.ERROR, (_, data) => {
      const what = { source: 'hls.js', type: data.type, details: data.details, fatal: data.fatal,
        url: data.frag ? data.frag.url : data.url, reason: data.reason || (data.error && String(data.error)) };
      if (kind === 'llhls' && !data.fatal) {
        // In low-latency mode hls.js reports, as non-fatal errors, its own
        // recoveries: aborting a segment load once parts cover it, and a
        // short stall when it has caught up with the live edge. They are
        // kept and reported, not failures.
        state.warnings = state.warnings || [];
        state.warnings.push(what);
        log('warning: ' + JSON.stringify(what));
        return;
      }
      fail(what);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => log('hls.js: manifest parsed, ' + data.levels.length + ' level(s)'));
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (kind === 'dash') {
    if (!window.dashjs) {
      fail({ source: 'dash.js', message: 'dash.js did not load' });
      return;
    }
    const player = dashjs.MediaPlayer().create();
    const events = dashjs.MediaPlayer.events;
    player.on(events.ERROR, (e) => {
      const err = e.error || {};
      fail({ source: 'dash.js', code: err.code, message: err.message });
    });
    player.on(events.PLAYBACK_ERROR, (e) => fail({ source: 'dash.js playback', message: String(e.error) }));
    player.on(events.STREAM_INITIALIZED, () => log('dash.js: stream initialized'));
    player.initialize(video, src, true);
  } else {
    fail({ source: 'page', message: 'kind must be hls, llhls or dash, not ' + kind });
  }
})();
