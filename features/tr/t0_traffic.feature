# language: tr
@t0 @read_only
Özellik: T-0 trafik açık
  Runbook B.4 "trafiği aç" ile biter: T-0'da bakım sayfası kapalıdır ve profilin [maintenance] bölümündeki public
  route'u yeniden platform servis eder (canary buna ihtiyaç duyar). Opsiyonel: GO'yu asla bekletmez; T-0'da hâlâ açık
  olan bir bakım sayfası FAIL'dir.

  @t0_traffic_open
  Senaryo: Deploy sonrası trafik açıktır
    Eğer ki bakım sayfasının arkasındaki public route'u çağırırım
    O zaman bakım sayfası değil platform yanıt verir
