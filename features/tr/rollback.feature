# language: tr
@rollback @read_only
Özellik: Rollback doğrulaması (rollback planı adım 1, 4 ve 5)
  Rollback'ten sonra (runbook §3: maintenance açık, önceki Docker tag / commit, snapshot geri yüklendi veya migration
  geri alındı) ve trafik yeniden açılmadan önce, geri yüklenen release üzerinde login ve salt-okunur endpoint'leri
  doğrula. Yalnızca `pytest -m rollback` ile çalışır; GO kararının parçası değildir.
  - rb_login: admin giriş yapar ve admin profili token ile yanıt verir.
  - rb_readonly_endpoints: health 200 ve sağlıklı, version 200, readiness 200 ve migration'lar head'de, admin
  profili, dashboard, finans çekim listesi ve en yeni çekimin payout durumu ile oyuncusunun cüzdanı 200 yanıt verir;
  vermeyen her endpoint adıyla bildirilir (çekim, payout veya cüzdan okumalarında 404/5xx
  payout_withdraw_http_error tetikler). Çalışan git_sha kaydedilir: cutover dosyası [rollback] previous_sha
  verdiğinde ona eşit olmalıdır.
  - rb_maintenance_page (adım 1, yalnızca `pytest -m "rollback and maintenance"` ile): profilin [maintenance]
  bölümündeki public route bakım sayfası ile yanıt verir.
  - rb_traffic_reopened (adım 5, yalnızca `pytest -m "rollback and reopened"` ile, trafik yeniden açıldığında): o
  route'u yeniden platform servis eder, bakım sayfası değil.

  Geçmiş:
    Diyelim ki cutover hedefi erişilebilir

  @rb_login
  Senaryo: Geri yüklenen release'te admin girişi çalışır
    Eğer ki admin giriş yapar
    O zaman admin bir bearer token alır
    Ve admin profili bu token ile yanıt verir

  @rb_readonly_endpoints
  Senaryo: Geri yüklenen release'te salt-okunur endpoint'ler yanıt verir
    Diyelim ki admin giriş yapmış
    Eğer ki tüm salt-okunur endpoint'leri okurum
    O zaman her salt-okunur endpoint yanıt verir
    Ve çalışan sürüm önceki release'tir

  @rb_maintenance_page @maintenance
  Senaryo: Rollback sırasında bakım sayfası yanıt verir
    Eğer ki bakım sayfasının arkasındaki public route'u çağırırım
    O zaman bakım sayfası ile yanıt verir

  @rb_traffic_reopened @reopened
  Senaryo: Rollback sonrası trafik yeniden açılır
    Eğer ki bakım sayfasının arkasındaki public route'u çağırırım
    O zaman bakım sayfası değil platform yanıt verir
