# language: tr
@t15 @maintenance @read_only
Özellik: T-15 bakım penceresi
  Runbook B.1: deploy'dan önce maintenance page etkinleştirilir ve ingress engellenir. Yalnızca deploy penceresi
  açıkken çalıştırın: `pytest -m maintenance` (etiket yalnızca seçildiğinde çalışır; pencere dışında sayfa kapalı
  olmalıdır). Profilin [maintenance] bölümündeki public route bakım sayfası ile yanıt vermelidir. Opsiyonel: GO'yu
  asla bekletmez; pencere açıkken platformun hâlâ servis ettiği bir route FAIL'dir.

  @t15_maintenance_page
  Senaryo: Deploy penceresi açıkken bakım sayfası yanıt verir
    Eğer ki bakım sayfasının arkasındaki public route'u çağırırım
    O zaman bakım sayfası ile yanıt verir
