# language: tr
@hypercare @read_only
Özellik: Hypercare (T+0 -> T+72h)
  GO'dan sonra on-call ekibi platformu 72 saat izler (runbook §4 "Hypercare Rutini (72 saat)": 0-6 saat her 30
  dakikada, 6-24 saat saatlik, 24-72 saat günde 3 kez; odak: 5xx oranları, kuyruk birikmesi, webhook hataları,
  rastgele ledger mutabakatı; stuck job detector; rollback tetikleyicisi "Payout Failure Rate > %15"). Her
  `pytest -m hypercare` çalıştırması bir izleme turudur; eşikler profilin [hypercare] bölümündendir. Checklist
  bölüm 5 şöyle kanıtlanır:
  - hc_alerting_active: alarmların dayandığı sinyaller mevcut. /metrics, handler, method ve durum sınıfı
  etiketleriyle http_requests_total (2xx/4xx/5xx ya da bunlara eşlenen durum kodları) ve
  http_request_duration_seconds histogramını (+Inf'e kadar bucket'lar, _sum, _count) sunar; readiness veritabanını bildirir; her webhook route'u yanıt
  verir ve imzasız isteği reddeder (olmayan bir route webhook hatası üretemez). Profilin [metrics] source =
  "prometheus" ayarıyla Prometheus sunucusuna da sorulur (CUTOVER_PROMETHEUS_URL): profilin 5xx, latency, db ve
  webhook için adlandırdığı alarmlar yüklü, sağlıklı ve son iki aralıkta değerlendirilmiş; bir Alertmanager bağlı,
  ayakta ve alarmları entegrasyonu olan bir alıcıya yönlendiriyor (değilse "alerts go nowhere"); süre sınırında yanıt
  vermeyen sunucu FAIL "could not check" olur.
  - hc_first_6h_watch: bir izleme turu. Kayıttaki önceki turdan bu yana tüm aralığı değerlendirir, ilk tur T-0'ın
  kapanış senaryosunun sakladığı /metrics baseline'ından bu yana (sayaç sıfırlanması, yani yeniden başlama, bildirilir,
  asla negatif oran sayılmaz): 5xx oranı eşiğin altında (payout/withdraw route'unda 5xx payout_withdraw_http_error
  tetikler); histogram bucket farklarından p95 gecikme eşiği aşarsa latency_spike (İZLE, hata değil). Veritabanında,
  profilin SQL'i ile (DSN yoksa admin API sayfalanır, kısmen okunan kuyruk asla tam sayılmaz): SLA'yı aşan
  requested/approved/payout_pending çekimler queue_backlog (İZLE); limitini aşan payout_pending payout'lar ve bekleyen
  PSP deposit'leri FAIL; aralıktaki payout hata oranı %15'i aşarsa FAIL ve payout_failure_rate (hemen rollback), oran
  hesaplamaya yetmeyecek kadar az payout "veri yok"tur, asla hata değil; rastgele ledger mutabakatı (profilin
  invariant SQL'i ve admin API ile SQL'den okunan rastgele cüzdanlar) ve günün işlemlerinin ledger ile mutabakatı
  (reconciliation_report.md/json) tutmalı, yoksa ledger_invariant_breach. Tur ve sayaçları release'in cutover
  kaydında tutulur (bu satırın kanıtı, "rounds"). [metrics] source = "prometheus" ile 5xx oranı, hacim ve p95
  profilin aralık üzerindeki PromQL sorgularıdır (sunucuda değerlendirilir; her sorgu, sonucu ve zamanı kanıttır) ve
  hedef için çalan alarmlar listelenir: profilin alert_map'inin eşlediği alarm kendi rollback matrisi satırını
  tetikler.
  - hc_control_report_24h: kontrol raporu (özet + metrikler + aksiyonlar) rapor dizinine hypercare_report.md ve
  hypercare_report.json olarak yazılır; bir release'in ilk raporu runbook'un T+60 ilk hypercare raporudur.
  - hc_stable_72h: yalnızca kayıt, en az 72 saat geriye uzanan, 8 saatten uzun boşluğu olmayan temiz izleme turları
  (hata yok, tetikleyici yok) içerdiğinde PASS. Son tur başarısızsa FAIL. Aksi halde saatin ne kadar ilerlediğini
  söyleyerek NOT_RUN kalır (senaryo atlanır): tek bir çalıştırma 72 saati kanıtlayamaz, bitmemiş saat hata değildir.
  Hypercare satırları GO kararını asla belirlemez.

  @hc_alerting_active
  Senaryo: Alarmların dayandığı sinyaller sunuluyor
    Diyelim ki cutover hedefi erişilebilir
    Eğer ki her webhook route'una imzasız bir istek gönderirim
    O zaman her webhook route'u yanıt verir ve isteği reddeder
    Eğer ki metrics endpoint'ini okurum
    O zaman istek sayacı handler, method ve durum sınıfı etiketlerini taşır
    Ve istek gecikme histogramı bucket, sum ve count içerir
    Ve hazır olma durumu veritabanının bağlı olduğunu bildirir
    Ve Prometheus kaynağıyla alarm kuralları sağlıklıdır ve Alertmanager onları yönlendirir

  @hc_first_6h_watch
  Senaryo: Hypercare rutininin bir izleme turu
    Diyelim ki bu release'in kayıtlı izleme turları devralınır
    Ve admin giriş yapmış
    Eğer ki bir hypercare izleme turu yaparım
    Ve günlük mutabakat raporunu yazarım
    O zaman tur hypercare kaydına eklenir
    Ve turun gözlediği her rollback matrisi satırı bildirilir
    Ve payout hata oranı rollback eşiğinin içindedir
    Ve rastgele ledger mutabakatı tutar
    Ve günün işlemleri ledger ile mutabıktır
    Ve takılı kalmış finans işi yoktur
    Ve 5xx oranı eşiğinin altındadır
    Ve turun tüm sinyalleri okundu

  @hc_control_report_24h
  Senaryo: Hypercare kontrol raporu yayınlanır
    Diyelim ki bu release'in hypercare kaydı
    Ve admin giriş yapmış
    Eğer ki bir hypercare izleme turu yaparım
    Ve hypercare kontrol raporunu yazarım
    O zaman rapor bir özet, metrikler ve aksiyonlar içerir

  @hc_stable_72h
  Senaryo: 72 saat stabil
    Diyelim ki bu release'in hypercare kaydı
    Ve admin giriş yapmış
    Eğer ki bir hypercare izleme turu yaparım
    O zaman bu release'in izleme turları tetikleyicisiz 72 saati kapsar
